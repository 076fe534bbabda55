{#- One row per topic tagged on a feedback item, from the feedback.topicIds array. -#}

{{ impraise_child_entries(
    source('impraise', 'feedback__topic_ids'),
    parent=ref('stg_impraise__feedback'),
    parent_key='feedback_id',
    fields=[('value', 'string', 'topic_id')],
    key='feedback_topic_id'
) }}
