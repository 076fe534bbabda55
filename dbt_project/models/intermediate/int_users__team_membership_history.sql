{#- Which teams each user belonged to in each version of their history: one row
    per user version and team. The version's '|'-delimited team_ids string is
    split into its entries, and each entry joined to the known team ids by
    equality (matching every team id against every string, with position() or
    LIKE, is a nested loop: minutes at 100,000 users and 14,000 teams). -#}

with

versions as (

    select
        user_id,
        version_number,
        team_ids,
        valid_from,
        valid_to,
        attribution_from,
        attribution_to
    from {{ ref('int_users__versions') }}
    where team_ids is not null

),

-- one row per version and listed team (a team listed twice counts once)
version_teams as (

    select distinct
        user_id,
        version_number,
        team_id,
        valid_from,
        valid_to,
        attribution_from,
        attribution_to
    from (
        {{ impraise_delimited_entries(
            'versions',
            ['user_id', 'version_number', 'valid_from', 'valid_to', 'attribution_from', 'attribution_to'],
            'team_ids',
            "'|'",
            'team_id'
        ) }}
    ) as entries

),

known_teams as (

    -- teams that still exist, plus any a user still lists
    select team_id from {{ ref('stg_impraise__teams') }}
    union
    select team_id from {{ ref('stg_impraise__user_teams') }}

)

select
    {{ impraise_surrogate_key(
        ['version_teams.user_id', 'version_teams.version_number', 'version_teams.team_id']
    ) }}
        as team_membership_version_id,
    version_teams.user_id,
    version_teams.team_id,
    version_teams.version_number,
    version_teams.valid_from,
    version_teams.valid_to,
    version_teams.attribution_from,
    version_teams.attribution_to
from version_teams
inner join known_teams
    on version_teams.team_id = known_teams.team_id
