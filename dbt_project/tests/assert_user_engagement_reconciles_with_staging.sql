-- Every count in user_engagement_monthly, summed over all users and months,
-- equals the same count taken straight from staging (for people who are users).
-- Returns one row per metric that disagrees.

with

users as (

    select user_id from {{ ref('stg_impraise__users') }}

),

feedback as (

    select
        sender_id,
        recipient_id,
        feedback_type
    from {{ ref('stg_impraise__feedback') }}
    where not is_flagged

),

answered as (

    select recipients.recipient_id
    from {{ ref('stg_impraise__feedback_request_recipients') }} as recipients
    inner join {{ ref('stg_impraise__feedback_requests') }} as requests
        on recipients.feedback_request_id = requests.feedback_request_id
    where recipients.is_answered

),

due_tasks as (

    select
        participants.reviewer_id,
        participants.status
    from {{ ref('stg_impraise__review_participants') }} as participants
    inner join {{ ref('stg_impraise__reviews') }} as reviews
        on participants.review_id = reviews.review_id
    where reviews.end_at is not null

),

expected as (

    select 'feedback_given' as metric, count(*) as total
    from feedback inner join users on feedback.sender_id = users.user_id
    union all
    select 'feedback_received' as metric, count(*) as total
    from feedback inner join users on feedback.recipient_id = users.user_id
    union all
    select 'praise_given' as metric, count(*) as total
    from feedback inner join users on feedback.sender_id = users.user_id
    where feedback.feedback_type = 'praise'
    union all
    select 'tips_received' as metric, count(*) as total
    from feedback inner join users on feedback.recipient_id = users.user_id
    where feedback.feedback_type = 'tip'
    union all
    select 'requests_sent' as metric, count(*) as total
    from {{ ref('stg_impraise__feedback_requests') }} as requests
    inner join users on requests.requester_id = users.user_id
    union all
    select 'requests_answered' as metric, count(*) as total
    from answered inner join users on answered.recipient_id = users.user_id
    union all
    select 'review_tasks_due' as metric, count(*) as total
    from due_tasks inner join users on due_tasks.reviewer_id = users.user_id
    union all
    select 'review_tasks_completed' as metric, count(*) as total
    from due_tasks inner join users on due_tasks.reviewer_id = users.user_id
    where due_tasks.status = 'completed'

),

mart as (

    select
        coalesce(sum(feedback_given), 0) as feedback_given,
        coalesce(sum(feedback_received), 0) as feedback_received,
        coalesce(sum(praise_given), 0) as praise_given,
        coalesce(sum(tips_received), 0) as tips_received,
        coalesce(sum(requests_sent), 0) as requests_sent,
        coalesce(sum(requests_answered), 0) as requests_answered,
        coalesce(sum(review_tasks_due), 0) as review_tasks_due,
        coalesce(sum(review_tasks_completed), 0) as review_tasks_completed
    from {{ ref('user_engagement_monthly') }}

),

actual as (

    select 'feedback_given' as metric, feedback_given as total from mart
    union all
    select 'feedback_received' as metric, feedback_received as total from mart
    union all
    select 'praise_given' as metric, praise_given as total from mart
    union all
    select 'tips_received' as metric, tips_received as total from mart
    union all
    select 'requests_sent' as metric, requests_sent as total from mart
    union all
    select 'requests_answered' as metric, requests_answered as total from mart
    union all
    select 'review_tasks_due' as metric, review_tasks_due as total from mart
    union all
    select 'review_tasks_completed' as metric, review_tasks_completed as total from mart

)

select
    expected.metric,
    expected.total as expected_total,
    actual.total as actual_total
from expected
inner join actual
    on expected.metric = actual.metric
where expected.total != actual.total
