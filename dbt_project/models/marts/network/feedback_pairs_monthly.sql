{#- Who gave feedback to whom, per month, and whether it was returned: the
    person-level side of reciprocity. Flagged and anonymous items are left out
    (an anonymous item has no known giver to give back to). -#}

with

feedback as (

    select
        sender_id,
        recipient_id,
        created_month
    from {{ ref('fct_feedback') }}
    where
        not is_flagged
        and sender_id is not null
        -- feedback to oneself is no exchange
        and sender_id != recipient_id

),

pairs as (

    select
        created_month as month,
        sender_id as giver_id,
        recipient_id as receiver_id,
        count(*) as feedback_count
    from feedback
    group by
        created_month,
        sender_id,
        recipient_id

)

select
    {{ impraise_surrogate_key(['pairs.month', 'pairs.giver_id', 'pairs.receiver_id']) }}
        as feedback_pair_id,
    pairs.month,
    pairs.giver_id,
    pairs.receiver_id,
    pairs.feedback_count,
    returned.giver_id is not null as is_reciprocated
from pairs
left join pairs as returned
    on
        pairs.month = returned.month
        and pairs.giver_id = returned.receiver_id
        and pairs.receiver_id = returned.giver_id
