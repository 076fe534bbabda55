-- Every count in user_engagement_monthly, summed over all users and months,
-- equals the same count taken straight from staging (for people who are
-- users). Returns a row when any metric disagrees.

{%- set metrics = [
    'feedback_given', 'feedback_received', 'praise_given', 'tips_received',
    'requests_sent', 'requests_answered', 'review_tasks_due', 'review_tasks_completed'
] %}

with

users as (

    select user_id from {{ ref('stg_impraise__users') }}

),

feedback_counts as (

    select
        {{ impraise_count_if('senders.user_id is not null') }} as feedback_given,
        {{ impraise_count_if('recipients.user_id is not null') }} as feedback_received,
        {{ impraise_count_if(
            "senders.user_id is not null and feedback.feedback_type = 'praise'"
        ) }} as praise_given,
        {{ impraise_count_if(
            "recipients.user_id is not null and feedback.feedback_type = 'tip'"
        ) }} as tips_received
    from {{ ref('stg_impraise__feedback') }} as feedback
    left join users as senders
        on feedback.sender_id = senders.user_id
    left join users as recipients
        on feedback.recipient_id = recipients.user_id
    where not feedback.is_flagged

),

request_counts as (

    select count(*) as requests_sent
    from {{ ref('stg_impraise__feedback_requests') }} as requests
    inner join users
        on requests.requester_id = users.user_id

),

answer_counts as (

    select count(*) as requests_answered
    from {{ ref('stg_impraise__feedback_request_recipients') }} as recipients
    inner join {{ ref('stg_impraise__feedback_requests') }} as requests
        on recipients.feedback_request_id = requests.feedback_request_id
    inner join users
        on recipients.recipient_id = users.user_id
    where recipients.is_answered

),

task_counts as (

    select
        count(*) as review_tasks_due,
        {{ impraise_count_if("participants.status = 'completed'") }} as review_tasks_completed
    from {{ ref('stg_impraise__review_participants') }} as participants
    inner join {{ ref('stg_impraise__reviews') }} as reviews
        on participants.review_id = reviews.review_id
    inner join users
        on participants.reviewer_id = users.user_id
    where reviews.end_at is not null

),

mart as (

    select
        {% for metric in metrics %}
            coalesce(sum({{ metric }}), 0) as {{ metric }},
        {% endfor %}
        count(*) as user_months_count
    from {{ ref('user_engagement_monthly') }}

),

-- conditional counts are sums, null over no rows: none is a count of 0
expected as (

    select
        coalesce(feedback_counts.feedback_given, 0) as feedback_given,
        coalesce(feedback_counts.feedback_received, 0) as feedback_received,
        coalesce(feedback_counts.praise_given, 0) as praise_given,
        coalesce(feedback_counts.tips_received, 0) as tips_received,
        request_counts.requests_sent,
        answer_counts.requests_answered,
        task_counts.review_tasks_due,
        coalesce(task_counts.review_tasks_completed, 0) as review_tasks_completed
    from feedback_counts
    cross join request_counts
    cross join answer_counts
    cross join task_counts

)

{%- set checks = [] %}
{%- for metric in metrics %}
    {%- do checks.append({
        'metric': metric,
        'expected': 'select ' ~ metric ~ ' from expected',
        'actual': 'select ' ~ metric ~ ' from mart',
    }) %}
{%- endfor %}

{{ impraise_reconcile(checks) }}
