{#- One row per review and person reviewed: the mean rating they gave themselves
    and the means their manager and their peers gave them, the gaps between them,
    and the department of the person reviewed (their home team's today). Person-level (for analysts); the metrics self_manager_rating_gap and
    peer_manager_rating_gap average these gaps over at least `min_group_size`
    people. -#}

with

answers as (

    select
        review_participant_id,
        review_id,
        relationship,
        rating
    from {{ ref('int_review_answers__with_raters') }}
    where rating is not null

),

participants as (

    select
        review_participant_id,
        recipient_id
    from {{ ref('stg_impraise__review_participants') }}

),

reviews as (

    select
        review_id,
        review_name,
        review_type,
        end_at
    from {{ ref('stg_impraise__reviews') }}

),

per_person as (

    select
        answers.review_id,
        participants.recipient_id,
        {% for relationship in ['self', 'manager', 'peer'] %}
            {{ impraise_count_if("answers.relationship = '" ~ relationship ~ "'") }}
                as {{ relationship }}_ratings_count,
            sum(case when answers.relationship = '{{ relationship }}' then answers.rating end)
                as {{ relationship }}_rating_points,
        {% endfor %}
        count(*) as ratings_count
    from answers
    inner join participants
        on answers.review_participant_id = participants.review_participant_id
    group by
        answers.review_id,
        participants.recipient_id

),

means as (

    select
        review_id,
        recipient_id,
        {% for relationship in ['self', 'manager', 'peer'] %}
            {{ relationship }}_ratings_count,
            {{ impraise_safe_divide(
                relationship ~ '_rating_points', relationship ~ '_ratings_count', 6
            ) }} as {{ relationship }}_rating,
        {% endfor %}
        ratings_count
    from per_person

)

select
    {{ impraise_surrogate_key(['means.review_id', 'means.recipient_id']) }} as review_rating_gap_id,
    means.review_id,
    reviews.review_name,
    reviews.review_type,
    reviews.end_at as review_end_at,
    means.recipient_id,
    departments.department_name as recipient_department_name,
    means.self_ratings_count,
    means.manager_ratings_count,
    means.peer_ratings_count,
    means.self_rating,
    means.manager_rating,
    means.peer_rating,
    -- null unless the person has both ratings
    means.self_rating - means.manager_rating as self_minus_manager_rating,
    means.peer_rating - means.manager_rating as peer_minus_manager_rating
from means
left join reviews
    on means.review_id = reviews.review_id
left join {{ ref('int_users__departments') }} as departments
    on means.recipient_id = departments.user_id
