{#- One row per topic tagged on a feedback item, from the feedback.topicIds array. -#}
{%- set raw = source('impraise', 'feedback__topic_ids') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as (

    select
        {{ impraise_field('value', 'string', raw_columns) }} as topic_id,
        {{ impraise_field('_dlt_parent_id', 'string', raw_columns) }} as _dlt_parent_id,
        {{ impraise_field('_dlt_list_idx', 'int', raw_columns) }} as list_position
    from {{ impraise_raw_from(raw, raw_columns) }}

),

feedback as (

    select
        feedback_id,
        _dlt_id
    from {{ ref('stg_impraise__feedback') }}

),

tags as (

    select
        feedback.feedback_id,
        source.topic_id,
        row_number() over (
            partition by feedback.feedback_id, source.topic_id
            order by source.list_position
        ) as occurrence
    from source
    inner join feedback
        on source._dlt_parent_id = feedback._dlt_id
    where source.topic_id is not null

)

select
    {{ impraise_surrogate_key(['feedback_id', 'topic_id']) }} as feedback_topic_id,
    feedback_id,
    topic_id
from tags
where occurrence = 1
