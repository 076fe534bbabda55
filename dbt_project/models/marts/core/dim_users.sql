with

users as (

    select
        user_id,
        user_name,
        email,
        job_title,
        manager_id,
        status,
        is_admin,
        deactivated_at,
        created_at,
        updated_at
        {{ impraise_persist_pass_through_columns('users') }}
    from {{ ref('stg_impraise__users') }}

),

teams as (

    select
        user_id,
        count(*) as teams_count,
        {{ impraise_sorted_list('team_id', "'|'") }} as team_ids
    from {{ ref('stg_impraise__user_teams') }}
    group by user_id

),

direct_reports as (

    select
        manager_id as user_id,
        count(*) as direct_reports_count,
        {{ impraise_count_if("status = 'active'") }} as active_direct_reports_count
    from users
    where manager_id is not null
    group by manager_id

)

select
    users.user_id,
    users.user_name,
    users.email,
    users.job_title,
    users.manager_id,
    managers.user_name as manager_name,
    users.status,
    users.status = 'active' as is_active,
    users.is_admin,
    teams.team_ids,
    coalesce(teams.teams_count, 0) as teams_count,
    coalesce(direct_reports.direct_reports_count, 0) as direct_reports_count,
    coalesce(direct_reports.active_direct_reports_count, 0) as active_direct_reports_count,
    coalesce(direct_reports.direct_reports_count, 0) > 0 as is_manager,
    users.created_at,
    users.updated_at,
    users.deactivated_at
    {{ impraise_persist_pass_through_columns('users', 'users') }}
from users
left join users as managers
    on users.manager_id = managers.user_id
left join teams
    on users.user_id = teams.user_id
left join direct_reports
    on users.user_id = direct_reports.user_id
