-- fct_feedback keeps every staged item, flagged ones included, and
-- fct_feedback_requests accounts for every staged recipient and answer.

{%- set feedback = ref('stg_impraise__feedback') %}
{%- set recipients = ref('stg_impraise__feedback_request_recipients') %}

{{ impraise_reconcile([
    {
        'metric': 'fct_feedback rows',
        'expected': 'select count(*) from ' ~ feedback,
        'actual': 'select count(*) from ' ~ ref('fct_feedback'),
    },
    {
        'metric': 'fct_feedback flagged rows',
        'expected': 'select ' ~ impraise_count_if('is_flagged') ~ ' from ' ~ feedback,
        'actual': 'select ' ~ impraise_count_if('is_flagged') ~ ' from ' ~ ref('fct_feedback'),
    },
    {
        'metric': 'fct_feedback_requests recipients',
        'expected': 'select count(*) from ' ~ recipients,
        'actual': 'select coalesce(sum(recipients_count), 0) from ' ~ ref('fct_feedback_requests'),
    },
    {
        'metric': 'fct_feedback_requests answers',
        'expected': 'select ' ~ impraise_count_if('is_answered') ~ ' from ' ~ recipients,
        'actual': 'select coalesce(sum(answered_count), 0) from ' ~ ref('fct_feedback_requests'),
    },
]) }}
