{#- One row per team a user belongs to, from the users.teamIds array. Joined to
    stg_impraise__users through dlt's parent key, so entries of deleted or
    superseded user versions drop out with their parent. -#}
{%- set raw = source('impraise', 'users__team_ids') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as (

    select
        {{ impraise_field('value', 'string', raw_columns) }} as team_id,
        {{ impraise_field('_dlt_parent_id', 'string', raw_columns) }} as _dlt_parent_id,
        {{ impraise_field('_dlt_list_idx', 'int', raw_columns) }} as list_position
    from {{ impraise_raw_from(raw, raw_columns) }}

),

users as (

    select
        user_id,
        _dlt_id
    from {{ ref('stg_impraise__users') }}

),

memberships as (

    select
        users.user_id,
        source.team_id,
        -- the API could list a team twice; keep its first position
        row_number() over (
            partition by users.user_id, source.team_id
            order by source.list_position
        ) as occurrence
    from source
    inner join users
        on source._dlt_parent_id = users._dlt_id
    where source.team_id is not null

)

select
    {{ impraise_surrogate_key(['user_id', 'team_id']) }} as user_team_id,
    user_id,
    team_id
from memberships
where occurrence = 1
