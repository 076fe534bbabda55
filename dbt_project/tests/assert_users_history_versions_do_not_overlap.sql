-- A user's versions follow one another: each starts no earlier than the
-- previous one ended, and only the last may be open-ended.

with

ordered as (

    select
        user_id,
        version_number,
        valid_from,
        valid_to,
        lead(valid_from) over (partition by user_id order by version_number) as next_valid_from
    from {{ ref('dim_users_history') }}

)

select
    user_id,
    version_number,
    valid_from,
    valid_to,
    next_valid_from
from ordered
where
    next_valid_from is not null
    and (valid_to is null or valid_to > next_valid_from)
