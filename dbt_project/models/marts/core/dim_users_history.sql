select
    user_version_id,
    user_id,
    version_number,
    job_title,
    manager_id,
    status,
    team_ids,
    valid_from,
    valid_to,
    is_current
from {{ ref('int_users__versions') }}
