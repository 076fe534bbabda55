{%- set raw = source('impraise', 'review_participants') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as review_participant_id,
        {{ impraise_field('review_id', 'string', raw_columns) }} as review_id,
        {{ impraise_field('recipient_id', 'string', raw_columns) }} as recipient_id,
        {{ impraise_field('reviewer_id', 'string', raw_columns) }} as reviewer_id,
        {{ impraise_field('relationship', 'enum', raw_columns) }} as relationship,
        {{ impraise_field('status', 'enum', raw_columns) }} as status,
        {{ impraise_field('completed_at', 'timestamp', raw_columns) }} as completed_at,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'review_participant_id') }}

)

select
    review_participant_id,
    review_id,
    recipient_id,
    reviewer_id,
    relationship,
    status,
    completed_at,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
