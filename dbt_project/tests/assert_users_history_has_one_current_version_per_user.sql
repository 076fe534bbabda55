-- Every live user has exactly one current version in dim_users_history, and
-- it agrees with dim_users; no user deleted at the source is still current.

with

current_versions as (

    select
        user_id,
        count(*) as current_versions_count,
        max(job_title) as job_title,
        max(manager_id) as manager_id,
        max(status) as status,
        max(team_ids) as team_ids
    from {{ ref('dim_users_history') }}
    where is_current
    group by user_id

)

select
    coalesce(users.user_id, current_versions.user_id) as user_id,
    current_versions.current_versions_count
from {{ ref('dim_users') }} as users
full outer join current_versions
    on users.user_id = current_versions.user_id
where
    users.user_id is null
    or current_versions.user_id is null
    or current_versions.current_versions_count != 1
    or coalesce(users.job_title, '') != coalesce(current_versions.job_title, '')
    or coalesce(users.manager_id, '') != coalesce(current_versions.manager_id, '')
    or users.status != current_versions.status
    or coalesce(users.team_ids, '') != coalesce(current_versions.team_ids, '')
