{#- One row per team a user belongs to, from the users.teamIds array. -#}

with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('users__team_ids') }}

),

renamed as (

    select
        cast(value as {{ dbt.type_string() }}) as team_id,
        cast(_dlt_parent_id as {{ dbt.type_string() }}) as _dlt_parent_id
    from source

),

users as (

    select
        user_id,
        _dlt_id
    from {{ ref('stg_impraise__users') }}

),

-- An entry takes its user's id from the user row whose _dlt_id it carries, so the
-- entries of a deleted user drop out with it (the loader deletes those of replaced
-- versions, which a source test checks). A team listed twice counts once.
user_teams as (

    select distinct
        users.user_id,
        renamed.team_id
    from renamed
    inner join users
        on renamed._dlt_parent_id = users._dlt_id
    where renamed.team_id is not null

)

select
    {{ impraise_surrogate_key(['user_id', 'team_id']) }} as user_team_id,
    user_id,
    team_id
from user_teams
