with

-- The raw columns as declared in _impraise__sources.yml, rating__v_text included.
source as (

    {{ impraise_select_declared_columns('review_answers') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as review_answer_id,
        cast(review_id as {{ dbt.type_string() }}) as review_id,
        cast(participant_id as {{ dbt.type_string() }}) as review_participant_id,
        cast(topic_id as {{ dbt.type_string() }}) as topic_id,
        cast(question_text as {{ dbt.type_string() }}) as question_text,
        -- Drift seen at the API: ratings sent as text. dlt reads a numeric string into
        -- `rating` and puts other text in the variant column rating__v_text (null until
        -- dlt first needs it): a whole number there is the rating, other text ("n/a")
        -- none. The one tolerant cast in staging (macro impraise_whole_number).
        coalesce(
            cast(rating as {{ dbt.type_bigint() }}),
            {{ impraise_whole_number('rating__v_text') }}
        ) as rating,
        cast(comment as {{ dbt.type_string() }}) as comment,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('review_answers') }}
    from source

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
    {{ impraise_persist_pass_through_columns('review_answers') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
