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
        {{ impraise_persist_pass_through_columns('feedback_requests') }}
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

)

select
    requests.feedback_request_id,
    requests.requester_id,
    requests.subject_id,
    requests.question,
    {{ impraise_zero_if_missing('recipients', [
        'recipients_count',
        'answered_count',
        'declined_count',
        'expired_count',
        'pending_count',
    ]) }},
    -- null without recipients (no row in `recipients`)
    {{ impraise_safe_divide('recipients.answered_count', 'recipients.recipients_count') }}
        as response_rate,
    recipients.first_answered_at,
    -- counted in whole seconds, so the figure is the same on every warehouse
    {{ impraise_safe_divide(
        dbt.datediff('requests.created_at', 'recipients.first_answered_at', 'second'), 3600, 2
    ) }} as hours_to_first_answer,
    requests.created_at,
    {{ impraise_month('requests.created_at') }} as created_month,
    requests.due_at,
    requests.updated_at
    {{ impraise_persist_pass_through_columns('feedback_requests', 'requests') }}
from requests
left join recipients
    on requests.feedback_request_id = recipients.feedback_request_id
