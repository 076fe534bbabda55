{%- set raw = source('impraise', 'review_answers') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as review_answer_id,
        {{ impraise_field('review_id', 'string', raw_columns) }} as review_id,
        {{ impraise_field('participant_id', 'string', raw_columns) }} as review_participant_id,
        {{ impraise_field('topic_id', 'string', raw_columns) }} as topic_id,
        {{ impraise_field('question_text', 'string', raw_columns) }} as question_text,
        -- rating drifts: a textual rating lands in rating__v_text and is merged here
        {{ impraise_field('rating', 'int', raw_columns) }} as rating,
        {{ impraise_field('comment', 'string', raw_columns) }} as comment,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'review_answer_id') }}

)

select
    review_answer_id,
    review_id,
    review_participant_id,
    topic_id,
    question_text,
    -- The scale is 1-5; anything else is a data error, not a rating.
    case when rating between 1 and 5 then rating end as rating,
    comment,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
