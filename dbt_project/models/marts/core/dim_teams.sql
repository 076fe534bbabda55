with

teams as (

    select
        team_id,
        team_name,
        parent_team_id,
        lead_id,
        created_at,
        updated_at
        {{ impraise_persist_pass_through_columns('teams') }}
    from {{ ref('stg_impraise__teams') }}

),

users as (

    select
        user_id,
        user_name,
        status
    from {{ ref('stg_impraise__users') }}

),

members as (

    select
        user_teams.team_id,
        count(*) as members_count,
        {{ impraise_count_if("users.status = 'active'") }} as active_members_count
    from {{ ref('stg_impraise__user_teams') }} as user_teams
    inner join users
        on user_teams.user_id = users.user_id
    group by user_teams.team_id

),

child_teams as (

    select
        parent_team_id as team_id,
        count(*) as child_teams_count
    from teams
    where parent_team_id is not null
    group by parent_team_id

)

select
    teams.team_id,
    teams.team_name,
    teams.parent_team_id,
    parent_teams.team_name as parent_team_name,
    teams.lead_id,
    leads.user_name as lead_name,
    coalesce(members.members_count, 0) as members_count,
    coalesce(members.active_members_count, 0) as active_members_count,
    coalesce(child_teams.child_teams_count, 0) as child_teams_count,
    teams.parent_team_id is null as is_top_level,
    teams.created_at,
    teams.updated_at
    {{ impraise_persist_pass_through_columns('teams', 'teams') }}
from teams
left join teams as parent_teams
    on teams.parent_team_id = parent_teams.team_id
left join users as leads
    on teams.lead_id = leads.user_id
left join members
    on teams.team_id = members.team_id
left join child_teams
    on teams.team_id = child_teams.team_id
