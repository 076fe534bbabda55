{%- set relationships = ['self', 'manager', 'peer', 'direct_report', 'external'] -%}
{#- the smaller of the two groups an average rating describes -#}
{%- set rating_people = 'least(ratings.raters_count, ratings.rated_people_count)' -%}

with

reviews as (

    select
        review_id,
        review_name,
        review_type,
        review_status,
        is_anonymous,
        created_by_id,
        start_at,
        end_at
        {{ impraise_persist_pass_through_columns('reviews') }}
    from {{ ref('stg_impraise__reviews') }}

),

tasks as (

    select
        review_id,
        review_participant_id,
        recipient_id,
        reviewer_id,
        relationship,
        is_completed,
        is_completed_after_end
    from {{ ref('fct_review_participation') }}

),

task_counts as (

    select
        review_id,
        count(*) as participants_count,
        {{ impraise_count_if('is_completed') }} as completed_count,
        {{ impraise_count_if('is_completed_after_end') }} as completed_after_end_count,
        count(distinct recipient_id) as recipients_count,
        {% for relationship in relationships %}
            {{ impraise_count_if("relationship = '" ~ relationship ~ "'") }}
                as {{ relationship }}_tasks_count,
            {{ impraise_count_if("relationship = '" ~ relationship ~ "' and is_completed") }}
                as {{ relationship }}_completed_count,
        {% endfor %}
        count(distinct reviewer_id) as reviewers_count
    from tasks
    group by review_id

),

-- an average rating describes its raters and the people they rated: the floor
-- counts both (the people rated through the answer's task)
ratings as (

    select
        answers.review_id,
        count(answers.rating) as ratings_count,
        {{ impraise_count_distinct_if('answers.rating is not null', 'answers.rater_key') }}
            as raters_count,
        {{ impraise_count_distinct_if('answers.rating is not null', 'tasks.recipient_id') }}
            as rated_people_count,
        {{ impraise_average('answers.rating', 2) }} as avg_rating
    from {{ ref('int_review_answers__with_raters') }} as answers
    left join tasks
        on answers.review_participant_id = tasks.review_participant_id
    group by answers.review_id

)

select
    reviews.review_id,
    reviews.review_name,
    reviews.review_type,
    reviews.review_status,
    reviews.is_anonymous,
    reviews.created_by_id,
    reviews.start_at,
    reviews.end_at,
    coalesce(task_counts.participants_count, 0) as participants_count,
    coalesce(task_counts.completed_count, 0) as completed_count,
    {{ impraise_safe_divide('task_counts.completed_count', 'task_counts.participants_count') }}
        as completion_rate,
    coalesce(task_counts.completed_after_end_count, 0) as completed_after_end_count,
    coalesce(task_counts.recipients_count, 0) as recipients_count,
    coalesce(task_counts.reviewers_count, 0) as reviewers_count,
    {% for relationship in relationships %}
        coalesce(task_counts.{{ relationship }}_tasks_count, 0) as {{ relationship }}_tasks_count,
        {{ impraise_safe_divide(
            'task_counts.' ~ relationship ~ '_completed_count',
            'task_counts.' ~ relationship ~ '_tasks_count'
        ) }} as {{ relationship }}_completion_rate,
    {% endfor %}
    coalesce(ratings.ratings_count, 0) as ratings_count,
    coalesce(ratings.raters_count, 0) as raters_count,
    coalesce(ratings.rated_people_count, 0) as rated_people_count,
    {{ impraise_suppressed_rating('ratings.avg_rating', rating_people) }} as avg_rating,
    {{ impraise_is_small_group(rating_people) }} as is_avg_rating_suppressed
    {{ impraise_persist_pass_through_columns('reviews', 'reviews') }}
from reviews
left join task_counts
    on reviews.review_id = task_counts.review_id
left join ratings
    on reviews.review_id = ratings.review_id
