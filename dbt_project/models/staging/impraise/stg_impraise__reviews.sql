{%- set raw = source('impraise', 'reviews') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as review_id,
        {{ impraise_field('name', 'string', raw_columns) }} as review_name,
        {{ impraise_field('type', 'enum', raw_columns) }} as review_type,
        {{ impraise_field('status', 'enum', raw_columns) }} as review_status,
        {{ impraise_field('start_at', 'timestamp', raw_columns) }} as start_at,
        {{ impraise_field('end_at', 'timestamp', raw_columns) }} as end_at,
        {{ impraise_field('is_anonymous', 'bool', raw_columns) }} as is_anonymous,
        {{ impraise_field('created_by_id', 'string', raw_columns) }} as created_by_id,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'review_id') }}

)

select
    review_id,
    review_name,
    review_type,
    review_status,
    start_at,
    end_at,
    coalesce(is_anonymous, false) as is_anonymous,
    created_by_id,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
