-- Every live record the pipeline loaded reaches the feedback and review marts
-- exactly once, with every person asked and every task of a live review: counted
-- straight from the raw tables, so staging's deduplication, parsing and joins
-- are checked too (not only the marts' own joins).

{%- set requests = impraise_raw_rows('feedback_requests', ['id', '_dlt_id']) %}
{%- set recipients = impraise_raw_rows(
    'feedback_requests__recipients', ['_dlt_parent_id', 'user_id'], live_only=false
) %}
{%- set reviews = impraise_raw_rows('reviews', ['id']) %}
{%- set tasks = impraise_raw_rows('review_participants', ['id', 'review_id']) %}
{%- set answers = impraise_raw_rows('review_answers', ['id', 'topic_id']) %}

{%- set people_asked -%}
    select count(*)
    from (
        select distinct
            requests.id,
            recipients.user_id
        from {{ recipients }} as recipients
        inner join {{ requests }} as requests
            on recipients._dlt_parent_id = requests._dlt_id
        where recipients.user_id is not null
    ) as asked
{%- endset %}

{%- set tasks_of_live_reviews -%}
    select count(distinct tasks.id)
    from {{ tasks }} as tasks
    inner join {{ reviews }} as reviews
        on tasks.review_id = reviews.id
{%- endset %}

{#- (raw bucket, mart with one row per live record of it) -#}
{%- set one_row_per_record = [
    ('feedback', 'fct_feedback'),
    ('feedback_requests', 'fct_feedback_requests'),
    ('reviews', 'review_cycle_summary'),
    ('review_participants', 'fct_review_participation'),
] %}

{%- set checks = [] %}
{%- for bucket, mart in one_row_per_record %}
    {%- do checks.append({
        'metric': mart ~ ' rows',
        'expected': 'select count(distinct id) from ' ~ impraise_raw_rows(bucket, ['id']) ~ ' as live',
        'actual': 'select count(*) from ' ~ ref(mart),
    }) %}
{%- endfor %}
{%- do checks.append({
    'metric': 'fct_feedback_requests recipients',
    'expected': people_asked,
    'actual': 'select coalesce(sum(recipients_count), 0) from ' ~ ref('fct_feedback_requests'),
}) %}
{%- do checks.append({
    'metric': 'review_cycle_summary participants',
    'expected': tasks_of_live_reviews,
    'actual': 'select coalesce(sum(participants_count), 0) from ' ~ ref('review_cycle_summary'),
}) %}
{%- do checks.append({
    'metric': 'review_topic_ratings answers',
    'expected': 'select count(distinct id) from ' ~ answers ~ ' as live where topic_id is not null',
    'actual': 'select coalesce(sum(answers_count), 0) from ' ~ ref('review_topic_ratings'),
}) %}

{{ impraise_reconcile(checks) }}
