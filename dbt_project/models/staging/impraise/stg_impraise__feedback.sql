{%- set raw = source('impraise', 'feedback') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as feedback_id,
        {{ impraise_field('type', 'enum', raw_columns) }} as feedback_type,
        {{ impraise_field('sender_id', 'string', raw_columns) }} as sender_id,
        {{ impraise_field('recipient_id', 'string', raw_columns) }} as recipient_id,
        {{ impraise_field('request_id', 'string', raw_columns) }} as feedback_request_id,
        {{ impraise_field('comment', 'string', raw_columns) }} as comment,
        {{ impraise_field('is_anonymous', 'bool', raw_columns) }} as is_anonymous,
        {{ impraise_field('is_flagged', 'bool', raw_columns) }} as is_flagged,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'feedback_id') }}

)

select
    feedback_id,
    feedback_type,
    -- Impraise withholds the sender of anonymous feedback; null it defensively
    -- should a sender ever come through, so no model can de-anonymise an item.
    case when not coalesce(is_anonymous, false) then sender_id end as sender_id,
    recipient_id,
    feedback_request_id,
    comment,
    coalesce(is_anonymous, false) as is_anonymous,
    -- A missing flag means the item was never flagged.
    coalesce(is_flagged, false) as is_flagged,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
