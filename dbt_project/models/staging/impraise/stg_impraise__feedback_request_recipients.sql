{#- One row per person asked in a feedback request, from the
    feedback_requests.recipients array of objects. -#}
{%- set raw = source('impraise', 'feedback_requests__recipients') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as (

    select
        {{ impraise_field('user_id', 'string', raw_columns) }} as recipient_id,
        {{ impraise_field('status', 'enum', raw_columns) }} as status,
        {{ impraise_field('answered_at', 'timestamp', raw_columns) }} as answered_at,
        {{ impraise_field('_dlt_parent_id', 'string', raw_columns) }} as _dlt_parent_id,
        {{ impraise_field('_dlt_list_idx', 'int', raw_columns) }} as list_position
    from {{ impraise_raw_from(raw, raw_columns) }}

),

requests as (

    select
        feedback_request_id,
        _dlt_id
    from {{ ref('stg_impraise__feedback_requests') }}

),

recipients as (

    select
        requests.feedback_request_id,
        source.recipient_id,
        source.status,
        source.answered_at,
        -- a person listed twice counts once: keep the first entry
        row_number() over (
            partition by requests.feedback_request_id, source.recipient_id
            order by source.list_position
        ) as occurrence
    from source
    inner join requests
        on source._dlt_parent_id = requests._dlt_id
    where source.recipient_id is not null

)

select
    {{ impraise_surrogate_key(['feedback_request_id', 'recipient_id']) }}
        as feedback_request_recipient_id,
    feedback_request_id,
    recipient_id,
    status,
    answered_at,
    status = 'answered' as is_answered
from recipients
where occurrence = 1
