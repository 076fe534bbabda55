-- fct_feedback keeps every staged item, flagged ones included, and
-- fct_feedback_requests accounts for every staged recipient and answer.

with

checks as (

    select
        'fct_feedback rows' as metric,
        (select count(*) from {{ ref('stg_impraise__feedback') }}) as expected_total,
        (select count(*) from {{ ref('fct_feedback') }}) as actual_total
    union all
    select
        'fct_feedback flagged rows' as metric,
        (select count(*) from {{ ref('stg_impraise__feedback') }} where is_flagged) as expected_total,
        (select count(*) from {{ ref('fct_feedback') }} where is_flagged) as actual_total
    union all
    select
        'fct_feedback_requests recipients' as metric,
        (select count(*) from {{ ref('stg_impraise__feedback_request_recipients') }}) as expected_total,
        (select coalesce(sum(recipients_count), 0) from {{ ref('fct_feedback_requests') }}) as actual_total
    union all
    select
        'fct_feedback_requests answers' as metric,
        (
            select count(*) from {{ ref('stg_impraise__feedback_request_recipients') }}
            where is_answered
        ) as expected_total,
        (select coalesce(sum(answered_count), 0) from {{ ref('fct_feedback_requests') }}) as actual_total

)

select
    metric,
    expected_total,
    actual_total
from checks
where expected_total != actual_total
