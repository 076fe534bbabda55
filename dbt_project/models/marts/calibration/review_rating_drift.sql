{#- Drift cycle over cycle: each review's mean rating per reviewer relationship
    next to the same relationship's mean in the previous review of the same type
    whose mean is shown (a withheld pilot does not break the chain),
    so performance reviews are compared with performance reviews and pulses with
    pulses, never with each other. A mean over fewer than `min_group_size`
    distinct raters is withheld, and compared with nothing. -#}

with

answers as (

    select
        review_id,
        relationship,
        rating,
        rater_key
    from {{ ref('int_review_answers__with_raters') }}
    where
        rating is not null
        and relationship is not null

),

reviews as (

    select
        review_id,
        review_name,
        review_type,
        start_at,
        end_at
    from {{ ref('stg_impraise__reviews') }}

),

cycles as (

    select
        answers.review_id,
        answers.relationship,
        count(*) as ratings_count,
        count(distinct answers.rater_key) as raters_count,
        {{ impraise_suppressed_rating(
            'avg(cast(answers.rating as ' ~ dbt.type_float() ~ '))',
            'count(distinct answers.rater_key)'
        ) }} as mean_rating
    from answers
    group by
        answers.review_id,
        answers.relationship

),

ordered as (

    select
        cycles.review_id,
        reviews.review_name,
        reviews.review_type,
        reviews.end_at as review_end_at,
        cycles.relationship,
        cycles.ratings_count,
        cycles.raters_count,
        cycles.mean_rating,
        lag(cycles.review_id) over (
            partition by reviews.review_type, cycles.relationship, cycles.mean_rating is null
            order by reviews.start_at, cycles.review_id
        ) as previous_review_id,
        lag(cycles.mean_rating) over (
            partition by reviews.review_type, cycles.relationship, cycles.mean_rating is null
            order by reviews.start_at, cycles.review_id
        ) as previous_mean_rating
    from cycles
    inner join reviews
        on cycles.review_id = reviews.review_id

)

select
    {{ impraise_surrogate_key(['review_id', 'relationship']) }} as review_relationship_id,
    review_id,
    review_name,
    review_type,
    review_end_at,
    relationship,
    ratings_count,
    raters_count,
    mean_rating,
    -- a withheld mean is compared with nothing
    case when mean_rating is not null then previous_review_id end as previous_review_id,
    case when mean_rating is not null then previous_mean_rating end as previous_mean_rating,
    mean_rating - previous_mean_rating as change_from_previous,
    {{ impraise_is_small_group('raters_count') }} as is_suppressed
from ordered
