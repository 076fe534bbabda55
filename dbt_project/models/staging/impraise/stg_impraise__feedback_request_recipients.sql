{#- One row per person asked in a feedback request, from the
    feedback_requests.recipients array of objects. -#}

with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('feedback_requests__recipients') }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as recipient_id,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as status,
        cast({{ impraise_utc('answered_at') }} as {{ dbt.type_timestamp() }}) as answered_at,
        cast(_dlt_parent_id as {{ dbt.type_string() }}) as _dlt_parent_id,
        cast(_dlt_list_idx as {{ dbt.type_bigint() }}) as list_position
    from source

),

requests as (

    select
        feedback_request_id,
        _dlt_id
    from {{ ref('stg_impraise__feedback_requests') }}

),

-- An entry takes its request's id from the request row whose _dlt_id it carries, so
-- the entries of a deleted request drop out with it (the loader deletes those of
-- replaced versions, which a source test checks). A person listed twice in one
-- request counts once, as their first entry says.
recipients as (

    select
        requests.feedback_request_id,
        renamed.recipient_id,
        renamed.status,
        renamed.answered_at,
        row_number() over (
            partition by requests.feedback_request_id, renamed.recipient_id
            order by renamed.list_position
        ) as occurrence
    from renamed
    inner join requests
        on renamed._dlt_parent_id = requests._dlt_id
    where renamed.recipient_id is not null

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
