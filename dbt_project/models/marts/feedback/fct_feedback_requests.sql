with

requests as (

    select
        feedback_request_id,
        requester_id,
        subject_id,
        question,
        due_at,
        created_at,
        updated_at
    from {{ ref('stg_impraise__feedback_requests') }}

),

recipients as (

    select
        feedback_request_id,
        count(*) as recipients_count,
        {{ impraise_count_if('is_answered') }} as answered_count,
        {{ impraise_count_if("status = 'declined'") }} as declined_count,
        {{ impraise_count_if("status = 'expired'") }} as expired_count,
        {{ impraise_count_if("status = 'pending'") }} as pending_count,
        min(case when is_answered then answered_at end) as first_answered_at
    from {{ ref('stg_impraise__feedback_request_recipients') }}
    group by feedback_request_id

),

measured as (

    select
        requests.feedback_request_id,
        requests.requester_id,
        requests.subject_id,
        requests.question,
        requests.created_at,
        requests.due_at,
        requests.updated_at,
        coalesce(recipients.recipients_count, 0) as recipients_count,
        coalesce(recipients.answered_count, 0) as answered_count,
        coalesce(recipients.declined_count, 0) as declined_count,
        coalesce(recipients.expired_count, 0) as expired_count,
        coalesce(recipients.pending_count, 0) as pending_count,
        recipients.first_answered_at
    from requests
    left join recipients
        on requests.feedback_request_id = recipients.feedback_request_id

)

select
    feedback_request_id,
    requester_id,
    subject_id,
    question,
    recipients_count,
    answered_count,
    declined_count,
    expired_count,
    pending_count,
    {{ impraise_safe_divide('answered_count', 'recipients_count') }} as response_rate,
    first_answered_at,
    -- counted in whole seconds, so the figure is the same on every warehouse
    {{ impraise_safe_divide(
        dbt.datediff('created_at', 'first_answered_at', 'second'), 3600, 2
    ) }} as hours_to_first_answer,
    created_at,
    {{ impraise_month('created_at') }} as created_month,
    due_at,
    updated_at
from measured
