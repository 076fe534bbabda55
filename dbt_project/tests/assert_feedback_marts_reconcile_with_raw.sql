-- Every live feedback item and request the pipeline loaded reaches the feedback
-- marts exactly once, with every person asked: counted straight from the raw
-- tables, so staging's deduplication, parsing and joins are checked too.

{%- set feedback = impraise_raw_rows('feedback', ['id']) %}
{%- set requests = impraise_raw_rows('feedback_requests', ['id', '_dlt_id']) %}
{%- set recipients = impraise_raw_rows(
    'feedback_requests__recipients', ['_dlt_parent_id', 'user_id'], live_only=false
) %}

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

{{ impraise_reconcile([
    {
        'metric': 'fct_feedback rows',
        'expected': 'select count(distinct id) from ' ~ feedback ~ ' as live',
        'actual': 'select count(*) from ' ~ ref('fct_feedback'),
    },
    {
        'metric': 'fct_feedback_requests rows',
        'expected': 'select count(distinct id) from ' ~ requests ~ ' as live',
        'actual': 'select count(*) from ' ~ ref('fct_feedback_requests'),
    },
    {
        'metric': 'fct_feedback_requests recipients',
        'expected': people_asked,
        'actual': 'select coalesce(sum(recipients_count), 0) from ' ~ ref('fct_feedback_requests'),
    },
]) }}
