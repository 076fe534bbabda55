with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('review_participants') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as review_participant_id,
        cast(review_id as {{ dbt.type_string() }}) as review_id,
        cast(recipient_id as {{ dbt.type_string() }}) as recipient_id,
        cast(reviewer_id as {{ dbt.type_string() }}) as reviewer_id,
        lower(trim(cast(relationship as {{ dbt.type_string() }}))) as relationship,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as status,
        cast({{ impraise_utc('completed_at') }} as {{ dbt.type_timestamp() }}) as completed_at,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('review_participants') }}
    from source

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
    {{ impraise_persist_pass_through_columns('review_participants') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
