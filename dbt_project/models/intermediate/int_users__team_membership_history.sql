{#- Which teams each user belonged to in each version of their history: one row
    per user version and team, from the version's observation rows (one per team). -#}

with

versions as (

    select
        user_id,
        version_number,
        valid_from,
        valid_to,
        attribution_from,
        attribution_to
    from {{ ref('int_users__versions') }}

),

observed_teams as (

    select
        user_id,
        valid_from,
        team_id
    from {{ ref('user_observations') }}
    where team_id is not null

),

known_teams as (

    -- teams that still exist, plus any a user still lists
    select team_id from {{ ref('stg_impraise__teams') }}
    union
    select team_id from {{ ref('stg_impraise__user_teams') }}

)

select
    {{ impraise_surrogate_key(
        ['versions.user_id', 'versions.version_number', 'observed_teams.team_id']
    ) }}
        as team_membership_version_id,
    versions.user_id,
    observed_teams.team_id,
    versions.version_number,
    versions.valid_from,
    versions.valid_to,
    versions.attribution_from,
    versions.attribution_to
from versions
inner join observed_teams
    on
        versions.user_id = observed_teams.user_id
        and versions.valid_from = observed_teams.valid_from
inner join known_teams
    on observed_teams.team_id = known_teams.team_id
