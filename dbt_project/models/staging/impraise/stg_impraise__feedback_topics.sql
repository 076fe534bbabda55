{#- One row per topic tagged on a feedback item, from the feedback.topicIds array. -#}

with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('feedback__topic_ids') }}

),

renamed as (

    select
        cast(value as {{ dbt.type_string() }}) as topic_id,
        cast(_dlt_parent_id as {{ dbt.type_string() }}) as _dlt_parent_id
    from source

),

feedback as (

    select
        feedback_id,
        _dlt_id
    from {{ ref('stg_impraise__feedback') }}

),

-- An entry takes its item's id from the feedback row whose _dlt_id it carries, so
-- the entries of a deleted item drop out with it (the loader deletes those of
-- replaced versions, which a source test checks). A topic listed twice counts once.
feedback_topics as (

    select distinct
        feedback.feedback_id,
        renamed.topic_id
    from renamed
    inner join feedback
        on renamed._dlt_parent_id = feedback._dlt_id
    where renamed.topic_id is not null

)

select
    {{ impraise_surrogate_key(['feedback_id', 'topic_id']) }} as feedback_topic_id,
    feedback_id,
    topic_id
from feedback_topics
