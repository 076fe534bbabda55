{#-
    Every engagement event, one row per person per thing they did or received,
    dated when it counts. The single input of both engagement marts, so user and
    team figures cannot disagree on what counts:

      event_type         user              dated by               is_done
      feedback_given     sender            feedback created_at    -
      feedback_received  recipient         feedback created_at    -
      request_sent       requester         request created_at     -
      request_received   each recipient    request created_at     answered
      request_answered   each answerer     answered_at (*)        -
      review_task_due    reviewer          review end_at          completed

    Flagged feedback is left out (Impraise removes it from reports). Anonymous
    feedback has no sender, so it only counts as received. Reviewer tasks of
    external reviewers (no user) and of reviews without an end date (not due
    yet) are left out. (*) an answer without answered_at falls back to the
    request's created_at.
-#}

with

feedback as (

    select
        feedback_id,
        feedback_type,
        sender_id,
        recipient_id,
        is_anonymous,
        created_at
    from {{ ref('stg_impraise__feedback') }}
    where not is_flagged

),

requests as (

    select
        feedback_request_id,
        requester_id,
        created_at
    from {{ ref('stg_impraise__feedback_requests') }}

),

recipients as (

    select
        feedback_request_id,
        recipient_id,
        is_answered,
        answered_at
    from {{ ref('stg_impraise__feedback_request_recipients') }}

),

review_tasks as (

    select
        participants.review_participant_id,
        participants.reviewer_id,
        participants.status = 'completed' as is_completed,
        reviews.end_at
    from {{ ref('stg_impraise__review_participants') }} as participants
    inner join {{ ref('stg_impraise__reviews') }} as reviews
        on participants.review_id = reviews.review_id

),

events as (

    select
        'feedback_given' as event_type,
        sender_id as user_id,
        created_at as occurred_at,
        feedback_id as source_record_id,
        feedback_type,
        is_anonymous,
        cast(null as {{ dbt.type_boolean() }}) as is_done
    from feedback
    where sender_id is not null

    union all

    select
        'feedback_received' as event_type,
        recipient_id as user_id,
        created_at as occurred_at,
        feedback_id as source_record_id,
        feedback_type,
        is_anonymous,
        cast(null as {{ dbt.type_boolean() }}) as is_done
    from feedback
    where recipient_id is not null

    union all

    select
        'request_sent' as event_type,
        requester_id as user_id,
        created_at as occurred_at,
        feedback_request_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as feedback_type,
        cast(null as {{ dbt.type_boolean() }}) as is_anonymous,
        cast(null as {{ dbt.type_boolean() }}) as is_done
    from requests
    where requester_id is not null

    union all

    select
        'request_received' as event_type,
        recipients.recipient_id as user_id,
        requests.created_at as occurred_at,
        recipients.feedback_request_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as feedback_type,
        cast(null as {{ dbt.type_boolean() }}) as is_anonymous,
        recipients.is_answered as is_done
    from recipients
    inner join requests
        on recipients.feedback_request_id = requests.feedback_request_id

    union all

    select
        'request_answered' as event_type,
        recipients.recipient_id as user_id,
        coalesce(recipients.answered_at, requests.created_at) as occurred_at,
        recipients.feedback_request_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as feedback_type,
        cast(null as {{ dbt.type_boolean() }}) as is_anonymous,
        cast(null as {{ dbt.type_boolean() }}) as is_done
    from recipients
    inner join requests
        on recipients.feedback_request_id = requests.feedback_request_id
    where recipients.is_answered

    union all

    select
        'review_task_due' as event_type,
        reviewer_id as user_id,
        end_at as occurred_at,
        review_participant_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as feedback_type,
        cast(null as {{ dbt.type_boolean() }}) as is_anonymous,
        is_completed as is_done
    from review_tasks
    where reviewer_id is not null and end_at is not null

)

select
    {{ impraise_surrogate_key(['event_type', 'source_record_id', 'user_id']) }}
        as engagement_event_id,
    event_type,
    user_id,
    occurred_at,
    {{ impraise_month('occurred_at') }} as activity_month,
    source_record_id,
    feedback_type,
    is_anonymous,
    is_done
from events
