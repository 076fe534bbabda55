{#- How often each rating was given, per review and reviewer relationship: the
    distribution a calibration session starts from. A count is withheld when fewer
    than `min_group_size` distinct raters gave it, and, where a review has exactly
    one such cell, also its smallest shown cell: the review's rating total is
    published (review_cycle_summary.ratings_count), so a single withheld count
    would be that total minus the others. -#}

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
        end_at
    from {{ ref('stg_impraise__reviews') }}

),

cells as (

    select
        review_id,
        relationship,
        rating,
        count(*) as answers_count,
        count(distinct rater_key) as raters_count
    from answers
    group by
        review_id,
        relationship,
        rating

),

ranked as (

    select
        review_id,
        relationship,
        rating,
        answers_count,
        raters_count,
        {{ impraise_is_small_group('raters_count') }} as is_small,
        sum(case when {{ impraise_is_small_group('raters_count') }} then 1 else 0 end)
            over (partition by review_id)
            as small_cells_in_review,
        row_number() over (
            partition by review_id
            order by
                case when {{ impraise_is_small_group('raters_count') }} then 1 else 0 end,
                raters_count,
                relationship,
                rating
        ) as rank_among_shown
    from cells

),

withheld as (

    select
        review_id,
        relationship,
        rating,
        answers_count,
        raters_count,
        is_small or (small_cells_in_review = 1 and rank_among_shown = 1) as is_suppressed
    from ranked

)

select
    {{ impraise_surrogate_key(['withheld.review_id', 'withheld.relationship', 'withheld.rating']) }}
        as review_rating_id,
    withheld.review_id,
    reviews.review_name,
    reviews.review_type,
    reviews.end_at as review_end_at,
    withheld.relationship,
    withheld.rating,
    case when not withheld.is_suppressed then withheld.answers_count end as answers_count,
    withheld.raters_count,
    withheld.is_suppressed
from withheld
left join reviews
    on withheld.review_id = reviews.review_id
