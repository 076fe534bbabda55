{#- The user history, appended to by each build (append-only, so plain Parquet will do):
    a row per team for each user whose job title, manager, status or teams changed,
    and a deletion row for a user gone from the source (doc users_history_design). -#}

{#- One instant per build, the same in every row it adds (the build's start, UTC). -#}
{%- set started = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
{%- set observed_at = "cast('" ~ started ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}

with

users as (

    select
        user_id,
        job_title,
        manager_id,
        status,
        updated_at
    from {{ ref('stg_impraise__users') }}

),

user_teams as (

    select
        user_id,
        team_id
    from {{ ref('stg_impraise__user_teams') }}

),

-- the shape of an observation, with no rows: what a first build has seen before
nothing_observed as (

    select
        user_id,
        updated_at as valid_from,
        false as is_deleted,
        job_title,
        manager_id,
        status,
        cast(null as {{ dbt.type_string() }}) as team_id
    from users
    where 1 = 0

),

{%- set previous_rows = this if is_incremental() else 'nothing_observed' %}

latest_times as (

    select
        user_id,
        max(valid_from) as valid_from
    from {{ previous_rows }}
    group by user_id

),

-- every row of each user's latest observation (one per team, or its deletion row)
latest_rows as (

    select
        observations.user_id,
        observations.valid_from,
        observations.is_deleted,
        observations.job_title,
        observations.manager_id,
        observations.status,
        observations.team_id
    from {{ previous_rows }} as observations
    inner join latest_times
        on
            observations.user_id = latest_times.user_id
            and observations.valid_from = latest_times.valid_from

),

latest as (

    select distinct
        user_id,
        valid_from,
        is_deleted,
        job_title,
        manager_id,
        status
    from latest_rows

),

latest_teams as (

    select
        user_id,
        team_id
    from latest_rows
    where team_id is not null

),

-- users whose set of teams differs from their latest observation's
moved_users as (

    select distinct coalesce(now_teams.user_id, then_teams.user_id) as user_id
    from user_teams as now_teams
    full outer join latest_teams as then_teams
        on
            now_teams.user_id = then_teams.user_id
            and now_teams.team_id = then_teams.team_id
    where now_teams.user_id is null or then_teams.user_id is null

),

-- live users to observe now, and from when: a user seen before only once its record
-- is newer and something tracked changed; one back after a deletion from its
-- record's time, or this build's when the record is older than the deletion
observed_users as (

    select
        users.user_id,
        users.job_title,
        users.manager_id,
        users.status,
        case
            when latest.is_deleted and users.updated_at <= latest.valid_from
                then {{ observed_at }}
            else users.updated_at
        end as valid_from
    from users
    left join latest
        on users.user_id = latest.user_id
    left join moved_users
        on users.user_id = moved_users.user_id
    where
        latest.user_id is null
        or latest.is_deleted
        or (
            users.updated_at > latest.valid_from
            and (
                moved_users.user_id is not null
                or users.job_title is distinct from latest.job_title
                or users.manager_id is distinct from latest.manager_id
                or users.status is distinct from latest.status
            )
        )

),

-- observed alive before, no longer at the source
deleted_users as (

    select latest.user_id
    from latest
    left join users
        on latest.user_id = users.user_id
    where not latest.is_deleted and users.user_id is null

),

new_rows as (

    select
        observed_users.user_id,
        observed_users.valid_from,
        false as is_deleted,
        observed_users.job_title,
        observed_users.manager_id,
        observed_users.status,
        user_teams.team_id
    from observed_users
    left join user_teams
        on observed_users.user_id = user_teams.user_id

    union all

    select
        user_id,
        {{ observed_at }} as valid_from,
        true as is_deleted,
        cast(null as {{ dbt.type_string() }}) as job_title,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as team_id
    from deleted_users

)

select
    {{ impraise_surrogate_key(['user_id', 'valid_from', 'team_id']) }} as user_observation_row_id,
    user_id,
    valid_from,
    is_deleted,
    job_title,
    manager_id,
    status,
    team_id,
    {{ observed_at }} as observed_at
from new_rows
