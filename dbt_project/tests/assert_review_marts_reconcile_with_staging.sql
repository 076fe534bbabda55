-- Review marts account for every staged task, completion and rating.

with

checks as (

    select
        'fct_review_participation rows' as metric,
        (select count(*) from {{ ref('stg_impraise__review_participants') }}) as expected_total,
        (select count(*) from {{ ref('fct_review_participation') }}) as actual_total
    union all
    select
        'review_cycle_summary participants' as metric,
        (
            select count(*)
            from {{ ref('stg_impraise__review_participants') }} as participants
            inner join {{ ref('stg_impraise__reviews') }} as reviews
                on participants.review_id = reviews.review_id
        ) as expected_total,
        (select coalesce(sum(participants_count), 0) from {{ ref('review_cycle_summary') }})
            as actual_total
    union all
    select
        'review_cycle_summary completed' as metric,
        (
            select count(*)
            from {{ ref('stg_impraise__review_participants') }} as participants
            inner join {{ ref('stg_impraise__reviews') }} as reviews
                on participants.review_id = reviews.review_id
            where participants.status = 'completed'
        ) as expected_total,
        (select coalesce(sum(completed_count), 0) from {{ ref('review_cycle_summary') }})
            as actual_total
    union all
    select
        'review_topic_ratings ratings' as metric,
        (
            select count(rating) from {{ ref('stg_impraise__review_answers') }}
            where topic_id is not null
        ) as expected_total,
        (select coalesce(sum(ratings_count), 0) from {{ ref('review_topic_ratings') }})
            as actual_total

)

select
    metric,
    expected_total,
    actual_total
from checks
where expected_total != actual_total
