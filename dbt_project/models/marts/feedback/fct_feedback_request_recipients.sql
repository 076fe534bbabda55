{#- One row per person asked in a feedback request, with the request's
    requester and creation time: the grain at which the request metrics count
    the people in their denominator (distinct recipients), and at which each
    person's outcome is one of answered, declined, expired or pending. -#}

with

recipients as (

    select
        feedback_request_recipient_id,
        feedback_request_id,
        recipient_id,
        status,
        answered_at,
        is_answered
    from {{ ref('stg_impraise__feedback_request_recipients') }}

),

requests as (

    select
        feedback_request_id,
        requester_id,
        created_at
    from {{ ref('stg_impraise__feedback_requests') }}

)

select
    recipients.feedback_request_recipient_id,
    recipients.feedback_request_id,
    requests.requester_id,
    recipients.recipient_id,
    recipients.status,
    recipients.is_answered,
    recipients.status = 'declined' as is_declined,
    recipients.status = 'expired' as is_expired,
    recipients.status = 'pending' as is_pending,
    recipients.answered_at,
    requests.created_at,
    {{ impraise_month('requests.created_at') }} as created_month
from recipients
inner join requests
    on recipients.feedback_request_id = requests.feedback_request_id
