{#- One row per team a user belongs to, from the users.teamIds array. Joined to
    stg_impraise__users through dlt's parent key, so entries of deleted or
    superseded user versions drop out with their parent. -#}

{{ impraise_child_entries(
    source('impraise', 'users__team_ids'),
    parent=ref('stg_impraise__users'),
    parent_key='user_id',
    fields=[('value', 'string', 'team_id')],
    key='user_team_id'
) }}
