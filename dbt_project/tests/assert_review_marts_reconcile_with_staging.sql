-- Review marts account for every staged task, completion and rating.

{%- set tasks_of_staged_reviews -%}
    select count(*)
    from {{ ref('stg_impraise__review_participants') }} as participants
    inner join {{ ref('stg_impraise__reviews') }} as reviews
        on participants.review_id = reviews.review_id
{%- endset %}

{{ impraise_reconcile([
    {
        'metric': 'fct_review_participation rows',
        'expected': 'select count(*) from ' ~ ref('stg_impraise__review_participants'),
        'actual': 'select count(*) from ' ~ ref('fct_review_participation'),
    },
    {
        'metric': 'review_cycle_summary participants',
        'expected': tasks_of_staged_reviews,
        'actual': 'select coalesce(sum(participants_count), 0) from ' ~ ref('review_cycle_summary'),
    },
    {
        'metric': 'review_cycle_summary completed',
        'expected': tasks_of_staged_reviews ~ " where participants.status = 'completed'",
        'actual': 'select coalesce(sum(completed_count), 0) from ' ~ ref('review_cycle_summary'),
    },
    {
        'metric': 'review_topic_ratings ratings',
        'expected': 'select count(rating) from ' ~ ref('stg_impraise__review_answers')
            ~ ' where topic_id is not null',
        'actual': 'select coalesce(sum(ratings_count), 0) from ' ~ ref('review_topic_ratings'),
    },
]) }}
