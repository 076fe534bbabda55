{#- The user attributes whose history the project keeps, one row per live user:
    the input of users_snapshot. Team ids are aggregated into one sorted,
    '|'-delimited string so a change of teams is a change of one column. -#}

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

team_lists as (

    select
        user_id,
        {{ dbt.listagg('team_id', "'|'", 'order by team_id') }} as team_ids
    from {{ ref('stg_impraise__user_teams') }}
    group by user_id

)

select
    users.user_id,
    users.job_title,
    users.manager_id,
    users.status,
    team_lists.team_ids,
    users.updated_at
from users
left join team_lists
    on users.user_id = team_lists.user_id
