select
    feedback_id,
    feedback_type,
    sender_id,
    recipient_id,
    feedback_request_id as request_id,
    is_anonymous,
    is_flagged,
    topics_count,
    sender_manager_id,
    recipient_manager_id,
    is_manager_to_report,
    is_report_to_manager,
    is_peer,
    is_cross_team,
    created_at,
    {{ impraise_month('created_at') }} as created_month,
    updated_at
    {{ impraise_persist_pass_through_columns('feedback') }}
from {{ ref('int_feedback__enriched') }}
