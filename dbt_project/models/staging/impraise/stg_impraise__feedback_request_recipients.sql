{#- One row per person asked in a feedback request, from the
    feedback_requests.recipients array of objects (a person listed twice counts
    once). -#}

with

recipients as (

    {{ impraise_child_entries(
        source('impraise', 'feedback_requests__recipients'),
        parent=ref('stg_impraise__feedback_requests'),
        parent_key='feedback_request_id',
        fields=[
            ('user_id', 'string', 'recipient_id'),
            ('status', 'enum', 'status'),
            ('answered_at', 'timestamp', 'answered_at'),
        ],
        key='feedback_request_recipient_id'
    ) }}

)

select
    feedback_request_recipient_id,
    feedback_request_id,
    recipient_id,
    status,
    answered_at,
    status = 'answered' as is_answered
from recipients
