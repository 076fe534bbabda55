-- Every live review, reviewer task and answer the pipeline loaded reaches the
-- review marts exactly once: counted straight from the raw tables, so staging's
-- deduplication, parsing and joins are checked too.

{%- set reviews = impraise_raw_rows('reviews', ['id']) %}
{%- set tasks = impraise_raw_rows('review_participants', ['id', 'review_id']) %}
{%- set answers = impraise_raw_rows('review_answers', ['id', 'topic_id']) %}

{%- set tasks_of_live_reviews -%}
    select count(distinct tasks.id)
    from {{ tasks }} as tasks
    inner join {{ reviews }} as reviews
        on tasks.review_id = reviews.id
{%- endset %}

{{ impraise_reconcile([
    {
        'metric': 'review_cycle_summary rows',
        'expected': 'select count(distinct id) from ' ~ reviews ~ ' as live',
        'actual': 'select count(*) from ' ~ ref('review_cycle_summary'),
    },
    {
        'metric': 'fct_review_participation rows',
        'expected': 'select count(distinct id) from ' ~ tasks ~ ' as live',
        'actual': 'select count(*) from ' ~ ref('fct_review_participation'),
    },
    {
        'metric': 'review_cycle_summary participants',
        'expected': tasks_of_live_reviews,
        'actual': 'select coalesce(sum(participants_count), 0) from ' ~ ref('review_cycle_summary'),
    },
    {
        'metric': 'review_topic_ratings answers',
        'expected': 'select count(distinct id) from ' ~ answers ~ ' as live where topic_id is not null',
        'actual': 'select coalesce(sum(answers_count), 0) from ' ~ ref('review_topic_ratings'),
    },
]) }}
