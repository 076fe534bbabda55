{%- set raw = source('impraise', 'feedback_requests') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as feedback_request_id,
        {{ impraise_field('requester_id', 'string', raw_columns) }} as requester_id,
        {{ impraise_field('subject_id', 'string', raw_columns) }} as subject_id,
        {{ impraise_field('question', 'string', raw_columns) }} as question,
        {{ impraise_field('due_at', 'timestamp', raw_columns) }} as due_at,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'feedback_request_id') }}

)

select
    feedback_request_id,
    requester_id,
    subject_id,
    question,
    due_at,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
