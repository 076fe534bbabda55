with

participants as (

    select
        review_participant_id,
        review_id,
        recipient_id,
        reviewer_id,
        relationship,
        status,
        completed_at,
        created_at,
        updated_at
        {{ impraise_persist_pass_through_columns('review_participants') }}
    from {{ ref('stg_impraise__review_participants') }}

),

reviews as (

    select
        review_id,
        review_type,
        review_status,
        is_anonymous,
        start_at,
        end_at
    from {{ ref('stg_impraise__reviews') }}

),

answers as (

    select
        review_participant_id,
        count(*) as answers_count,
        count(rating) as ratings_count
    from {{ ref('stg_impraise__review_answers') }}
    group by review_participant_id

)

select
    participants.review_participant_id,
    participants.review_id,
    participants.recipient_id,
    participants.reviewer_id,
    participants.relationship,
    participants.status,
    reviews.review_type,
    reviews.review_status,
    reviews.is_anonymous as is_anonymous_review,
    participants.reviewer_id is null as is_external_reviewer,
    participants.status = 'completed' as is_completed,
    coalesce(
        participants.status = 'completed'
        and participants.completed_at > reviews.end_at,
        false
    ) as is_completed_after_end,
    coalesce(answers.answers_count, 0) as answers_count,
    coalesce(answers.ratings_count, 0) as ratings_count,
    participants.completed_at,
    reviews.start_at as review_start_at,
    reviews.end_at as review_end_at,
    {{ impraise_month('reviews.end_at') }} as review_end_month,
    participants.created_at,
    participants.updated_at
    {{ impraise_persist_pass_through_columns('review_participants', 'participants') }}
from participants
left join reviews
    on participants.review_id = reviews.review_id
left join answers
    on participants.review_participant_id = answers.review_participant_id
