-- user_engagement_monthly has no holes: each user's months run without a gap
-- from the first to the last, so inactive months are reported, not skipped.

with

bounds as (

    select
        user_id,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as months_count
    from {{ ref('user_engagement_monthly') }}
    group by user_id

),

expected as (

    select
        user_id,
        first_month,
        last_month,
        months_count,
        {{ dbt.datediff('first_month', 'last_month', 'month') | trim }} + 1
            as expected_months_count
    from bounds

)

select
    user_id,
    first_month,
    last_month,
    months_count,
    expected_months_count
from expected
where months_count != expected_months_count
