{#- Review cycles for the reporting role: review_cycle_summary's completion and
    average rating, each withheld below the privacy floor (completion in distinct
    reviewers, the average in raters and in people rated, as the mart floors it).
    The per-relationship breakdowns are left out: the mart does not count their
    reviewers (the metric review_completion_rate by review_task__relationship
    floors them). -#}

with

cycles as (

    select
        review_id,
        review_name,
        review_type,
        review_status,
        start_at,
        end_at,
        participants_count,
        completed_count,
        completion_rate,
        reviewers_count,
        ratings_count,
        avg_rating,
        is_avg_rating_suppressed
    from {{ ref('review_cycle_summary') }}

)

select
    review_id,
    review_name,
    review_type,
    review_status,
    start_at,
    end_at,
    {{ impraise_suppress_small_group('participants_count', 'reviewers_count') }}
        as participants_count,
    {{ impraise_suppress_small_group('completed_count', 'reviewers_count') }} as completed_count,
    {{ impraise_suppress_small_group('completion_rate', 'reviewers_count') }} as completion_rate,
    case when not is_avg_rating_suppressed then ratings_count end as ratings_count,
    avg_rating
from cycles
