{#- Average rating per review cycle and topic, suppressed below the privacy
    floor (macros/privacy.sql) counted in distinct raters. -#}

with

answers as (

    select
        review_id,
        topic_id,
        rating,
        rater_key
    from {{ ref('int_review_answers__with_raters') }}
    where topic_id is not null

),

topics as (

    select
        topic_id,
        topic_name,
        topic_category
    from {{ ref('stg_impraise__topics') }}

),

aggregated as (

    select
        review_id,
        topic_id,
        count(*) as answers_count,
        count(rating) as ratings_count,
        {{ impraise_count_distinct_if('rating is not null', 'rater_key') }} as raters_count,
        {{ impraise_average('rating', 2) }} as avg_rating
    from answers
    group by
        review_id,
        topic_id

)

select
    {{ impraise_surrogate_key(['aggregated.review_id', 'aggregated.topic_id']) }}
        as review_topic_id,
    aggregated.review_id,
    aggregated.topic_id,
    topics.topic_name,
    topics.topic_category,
    aggregated.answers_count,
    aggregated.ratings_count,
    aggregated.raters_count,
    {{ impraise_suppressed_rating('aggregated.avg_rating', 'aggregated.raters_count') }}
        as avg_rating,
    {{ impraise_is_small_group('aggregated.raters_count') }} as is_suppressed
from aggregated
left join topics
    on aggregated.topic_id = topics.topic_id
