{#- Review answers with who gave them. rater_key identifies the person for the
    privacy floor's distinct-people counts: the reviewer's user id, or for an
    external reviewer (no user) the task itself, one outsider per task. -#}

with

answers as (

    select
        review_answer_id,
        review_id,
        review_participant_id,
        topic_id,
        rating
    from {{ ref('stg_impraise__review_answers') }}

),

participants as (

    select
        review_participant_id,
        reviewer_id,
        relationship
    from {{ ref('stg_impraise__review_participants') }}

)

select
    answers.review_answer_id,
    answers.review_id,
    answers.review_participant_id,
    answers.topic_id,
    answers.rating,
    participants.relationship,
    -- an answer whose task is gone has no known rater
    case
        when participants.review_participant_id is not null
            then coalesce(participants.reviewer_id, participants.review_participant_id)
    end as rater_key
from answers
left join participants
    on answers.review_participant_id = participants.review_participant_id
