{#-
    The history of each user's tracked attributes, one row per version, from
    user_observations (which adds a row only when something tracked changed):
      * valid_from is the record's own updated_at, so a change is dated when it
        happened; valid_to is the next observation's valid_from, which is the
        user's deletion when that came next;
      * team_ids lists the version's teams (from its rows, one per team);
      * attribution_from/to widen the first and last versions to the open past and
        future, for joining activity to the state in force at the time.
-#}

with

observation_rows as (

    select
        user_id,
        valid_from,
        is_deleted,
        job_title,
        manager_id,
        status,
        team_id
    from {{ ref('user_observations') }}

),

observations as (

    select
        user_id,
        valid_from,
        is_deleted,
        job_title,
        manager_id,
        status,
        {{ impraise_sorted_list('team_id', "'|'") }} as team_ids
    from observation_rows
    group by
        user_id,
        valid_from,
        is_deleted,
        job_title,
        manager_id,
        status

),

-- a version ends where the user's next observation (a change or a deletion) begins
bounded as (

    select
        user_id,
        valid_from,
        is_deleted,
        job_title,
        manager_id,
        status,
        team_ids,
        lead(valid_from) over (partition by user_id order by valid_from) as valid_to
    from observations

),

numbered as (

    select
        user_id,
        job_title,
        manager_id,
        status,
        team_ids,
        valid_from,
        valid_to,
        row_number() over (partition by user_id order by valid_from) as version_number,
        count(*) over (partition by user_id) as last_version_number
    from bounded
    where not is_deleted

)

select
    {{ impraise_surrogate_key(['user_id', 'version_number']) }} as user_version_id,
    user_id,
    version_number,
    job_title,
    manager_id,
    status,
    team_ids,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    -- Activity before the first recorded version is attributed to the earliest
    -- known state, and activity after a deletion to the last one.
    case when version_number > 1 then valid_from end as attribution_from,
    case when version_number < last_version_number then valid_to end as attribution_to
from numbered
