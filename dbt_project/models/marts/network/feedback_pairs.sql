{#- Who gave feedback to whom over all the data: one row per giver and receiver,
    dated by the first feedback between them, with whether the receiver ever
    gave feedback back (doc block reciprocity). Flagged, anonymous and
    self-addressed feedback are left out, as in feedback_pairs_monthly. -#}

with

feedback as (

    select
        sender_id,
        recipient_id,
        created_at
    from {{ ref('fct_feedback') }}
    where
        not is_flagged
        and sender_id is not null
        and sender_id != recipient_id

),

pairs as (

    select
        sender_id as giver_id,
        recipient_id as receiver_id,
        min(created_at) as first_given_at,
        count(*) as feedback_count
    from feedback
    group by
        sender_id,
        recipient_id

)

select
    {{ impraise_surrogate_key(['pairs.giver_id', 'pairs.receiver_id']) }} as feedback_pair_id,
    pairs.giver_id,
    pairs.receiver_id,
    pairs.first_given_at,
    pairs.feedback_count,
    returned.giver_id is not null as is_reciprocated,
    returned.first_given_at as first_returned_at
from pairs
left join pairs as returned
    on
        pairs.giver_id = returned.receiver_id
        and pairs.receiver_id = returned.giver_id
