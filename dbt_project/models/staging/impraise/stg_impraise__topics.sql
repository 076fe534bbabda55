{%- set raw = source('impraise', 'topics') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as topic_id,
        {{ impraise_field('name', 'string', raw_columns) }} as topic_name,
        {{ impraise_field('category', 'string', raw_columns) }} as topic_category,
        {{ impraise_field('is_active', 'bool', raw_columns) }} as is_active,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'topic_id') }}

)

select
    topic_id,
    topic_name,
    topic_category,
    is_active,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
