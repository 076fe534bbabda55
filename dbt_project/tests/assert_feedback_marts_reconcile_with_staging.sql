-- fct_feedback keeps every staged item, flagged ones included, and
-- fct_feedback_requests accounts for every staged recipient and answer.

with

staged_feedback as (

    select
        count(*) as items_count,
        {{ impraise_count_if('is_flagged') }} as flagged_count
    from {{ ref('stg_impraise__feedback') }}

),

mart_feedback as (

    select
        count(*) as items_count,
        {{ impraise_count_if('is_flagged') }} as flagged_count
    from {{ ref('fct_feedback') }}

),

staged_recipients as (

    select
        count(*) as recipients_count,
        {{ impraise_count_if('is_answered') }} as answered_count
    from {{ ref('stg_impraise__feedback_request_recipients') }}

),

mart_requests as (

    select
        coalesce(sum(recipients_count), 0) as recipients_count,
        coalesce(sum(answered_count), 0) as answered_count
    from {{ ref('fct_feedback_requests') }}

),

checks as (

    select
        'fct_feedback rows' as metric,
        staged_feedback.items_count as expected_total,
        mart_feedback.items_count as actual_total
    from staged_feedback cross join mart_feedback
    union all
    select
        'fct_feedback flagged rows' as metric,
        staged_feedback.flagged_count as expected_total,
        mart_feedback.flagged_count as actual_total
    from staged_feedback cross join mart_feedback
    union all
    select
        'fct_feedback_requests recipients' as metric,
        staged_recipients.recipients_count as expected_total,
        mart_requests.recipients_count as actual_total
    from staged_recipients cross join mart_requests
    union all
    select
        'fct_feedback_requests answers' as metric,
        staged_recipients.answered_count as expected_total,
        mart_requests.answered_count as actual_total
    from staged_recipients cross join mart_requests

)

select
    metric,
    expected_total,
    actual_total
from checks
where expected_total != actual_total
