{#- Every feedback item with the working relationship between sender and
    recipient as it was when the feedback was given (user history at
    created_at). Definitions: doc block `feedback_relationships`. -#}

{#- both ends known as of the feedback time; otherwise the flags are unknown -#}
{%- set is_relationship_known = 'sender.user_id is not null and recipient.user_id is not null' %}

with

feedback as (

    select
        feedback_id,
        feedback_type,
        sender_id,
        recipient_id,
        feedback_request_id,
        is_anonymous,
        is_flagged,
        created_at,
        updated_at
        {{ impraise_persist_pass_through_columns('feedback') }}
    from {{ ref('stg_impraise__feedback') }}

),

versions as (

    select
        user_id,
        manager_id,
        attribution_from,
        attribution_to
    from {{ ref('int_users__versions') }}

),

memberships as (

    select
        user_id,
        team_id,
        attribution_from,
        attribution_to
    from {{ ref('int_users__team_membership_history') }}

),

topic_counts as (

    select
        feedback_id,
        count(*) as topics_count
    from {{ ref('stg_impraise__feedback_topics') }}
    group by feedback_id

),

-- items whose sender and recipient were in at least one common team at the time
shared_team as (

    select distinct feedback.feedback_id
    from feedback
    inner join memberships as sender_teams
        on
            feedback.sender_id = sender_teams.user_id
            and {{ impraise_in_window('sender_teams', 'feedback.created_at') }}
    inner join memberships as recipient_teams
        on
            feedback.recipient_id = recipient_teams.user_id
            and sender_teams.team_id = recipient_teams.team_id
            and {{ impraise_in_window('recipient_teams', 'feedback.created_at') }}

)

select
    feedback.feedback_id,
    feedback.feedback_type,
    feedback.sender_id,
    feedback.recipient_id,
    feedback.feedback_request_id,
    feedback.is_anonymous,
    feedback.is_flagged,
    feedback.created_at,
    feedback.updated_at,
    coalesce(topic_counts.topics_count, 0) as topics_count,
    sender.manager_id as sender_manager_id,
    recipient.manager_id as recipient_manager_id,
    case
        when {{ is_relationship_known }}
            then coalesce(recipient.manager_id = feedback.sender_id, false)
    end as is_manager_to_report,
    case
        when {{ is_relationship_known }}
            then coalesce(sender.manager_id = feedback.recipient_id, false)
    end as is_report_to_manager,
    case
        when {{ is_relationship_known }}
            then coalesce(
                sender.manager_id = recipient.manager_id
                and feedback.sender_id != feedback.recipient_id
                and feedback.sender_id != recipient.manager_id
                and feedback.recipient_id != sender.manager_id,
                false
            )
    end as is_peer,
    case
        when {{ is_relationship_known }} then shared_team.feedback_id is null
    end as is_cross_team
    {{ impraise_persist_pass_through_columns('feedback', 'feedback') }}
from feedback
left join versions as sender
    on
        feedback.sender_id = sender.user_id
        and {{ impraise_in_window('sender', 'feedback.created_at') }}
left join versions as recipient
    on
        feedback.recipient_id = recipient.user_id
        and {{ impraise_in_window('recipient', 'feedback.created_at') }}
left join topic_counts
    on feedback.feedback_id = topic_counts.feedback_id
left join shared_team
    on feedback.feedback_id = shared_team.feedback_id
